file(REMOVE_RECURSE
  "CMakeFiles/fogrid-hub.dir/hub/hub_main.c.o"
  "CMakeFiles/fogrid-hub.dir/hub/hub_main.c.o.d"
  "bin/fogrid-hub"
  "bin/fogrid-hub.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fogrid-hub.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
