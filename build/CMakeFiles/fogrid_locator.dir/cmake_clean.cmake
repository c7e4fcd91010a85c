file(REMOVE_RECURSE
  "CMakeFiles/fogrid_locator.dir/locator/locator_placeholder.c.o"
  "CMakeFiles/fogrid_locator.dir/locator/locator_placeholder.c.o.d"
  "libfogrid_locator.a"
  "libfogrid_locator.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fogrid_locator.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
