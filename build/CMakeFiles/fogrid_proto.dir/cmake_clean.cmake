file(REMOVE_RECURSE
  "CMakeFiles/fogrid_proto.dir/generated/fogrid.pb-c.c.o"
  "CMakeFiles/fogrid_proto.dir/generated/fogrid.pb-c.c.o.d"
  "generated/fogrid.pb-c.c"
  "generated/fogrid.pb-c.h"
  "libfogrid_proto.a"
  "libfogrid_proto.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fogrid_proto.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
