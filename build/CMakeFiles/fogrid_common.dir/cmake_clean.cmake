file(REMOVE_RECURSE
  "CMakeFiles/fogrid_common.dir/common/fg_config.c.o"
  "CMakeFiles/fogrid_common.dir/common/fg_config.c.o.d"
  "CMakeFiles/fogrid_common.dir/common/fg_daemon.c.o"
  "CMakeFiles/fogrid_common.dir/common/fg_daemon.c.o.d"
  "CMakeFiles/fogrid_common.dir/common/fg_error.c.o"
  "CMakeFiles/fogrid_common.dir/common/fg_error.c.o.d"
  "CMakeFiles/fogrid_common.dir/common/fg_msg.c.o"
  "CMakeFiles/fogrid_common.dir/common/fg_msg.c.o.d"
  "CMakeFiles/fogrid_common.dir/common/fg_registrant.c.o"
  "CMakeFiles/fogrid_common.dir/common/fg_registrant.c.o.d"
  "CMakeFiles/fogrid_common.dir/common/fg_resolver.c.o"
  "CMakeFiles/fogrid_common.dir/common/fg_resolver.c.o.d"
  "CMakeFiles/fogrid_common.dir/common/fg_rpc.c.o"
  "CMakeFiles/fogrid_common.dir/common/fg_rpc.c.o.d"
  "CMakeFiles/fogrid_common.dir/common/fg_util.c.o"
  "CMakeFiles/fogrid_common.dir/common/fg_util.c.o.d"
  "libfogrid_common.a"
  "libfogrid_common.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fogrid_common.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
