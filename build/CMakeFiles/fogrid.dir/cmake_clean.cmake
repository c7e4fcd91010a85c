file(REMOVE_RECURSE
  "CMakeFiles/fogrid.dir/cli/fogrid_main.c.o"
  "CMakeFiles/fogrid.dir/cli/fogrid_main.c.o.d"
  "bin/fogrid"
  "bin/fogrid.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fogrid.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
