
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/common/fg_config.c" "CMakeFiles/fogrid_common.dir/common/fg_config.c.o" "gcc" "CMakeFiles/fogrid_common.dir/common/fg_config.c.o.d"
  "/work/main/common/fg_daemon.c" "CMakeFiles/fogrid_common.dir/common/fg_daemon.c.o" "gcc" "CMakeFiles/fogrid_common.dir/common/fg_daemon.c.o.d"
  "/work/main/common/fg_error.c" "CMakeFiles/fogrid_common.dir/common/fg_error.c.o" "gcc" "CMakeFiles/fogrid_common.dir/common/fg_error.c.o.d"
  "/work/main/common/fg_msg.c" "CMakeFiles/fogrid_common.dir/common/fg_msg.c.o" "gcc" "CMakeFiles/fogrid_common.dir/common/fg_msg.c.o.d"
  "/work/main/common/fg_registrant.c" "CMakeFiles/fogrid_common.dir/common/fg_registrant.c.o" "gcc" "CMakeFiles/fogrid_common.dir/common/fg_registrant.c.o.d"
  "/work/main/common/fg_resolver.c" "CMakeFiles/fogrid_common.dir/common/fg_resolver.c.o" "gcc" "CMakeFiles/fogrid_common.dir/common/fg_resolver.c.o.d"
  "/work/main/common/fg_rpc.c" "CMakeFiles/fogrid_common.dir/common/fg_rpc.c.o" "gcc" "CMakeFiles/fogrid_common.dir/common/fg_rpc.c.o.d"
  "/work/main/common/fg_util.c" "CMakeFiles/fogrid_common.dir/common/fg_util.c.o" "gcc" "CMakeFiles/fogrid_common.dir/common/fg_util.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/main/build/CMakeFiles/fogrid_proto.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
