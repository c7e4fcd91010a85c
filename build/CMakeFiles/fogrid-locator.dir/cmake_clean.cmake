file(REMOVE_RECURSE
  "CMakeFiles/fogrid-locator.dir/locator/locator_main.c.o"
  "CMakeFiles/fogrid-locator.dir/locator/locator_main.c.o.d"
  "bin/fogrid-locator"
  "bin/fogrid-locator.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fogrid-locator.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
