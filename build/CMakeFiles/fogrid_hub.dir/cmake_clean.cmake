file(REMOVE_RECURSE
  "CMakeFiles/fogrid_hub.dir/hub/hub_placeholder.c.o"
  "CMakeFiles/fogrid_hub.dir/hub/hub_placeholder.c.o.d"
  "libfogrid_hub.a"
  "libfogrid_hub.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fogrid_hub.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
