
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/tests/fogrid_tests.c" "tests/CMakeFiles/fogrid-tests.dir/fogrid_tests.c.o" "gcc" "tests/CMakeFiles/fogrid-tests.dir/fogrid_tests.c.o.d"
  "/work/main/tests/test_cli.c" "tests/CMakeFiles/fogrid-tests.dir/test_cli.c.o" "gcc" "tests/CMakeFiles/fogrid-tests.dir/test_cli.c.o.d"
  "/work/main/tests/test_fg_config.c" "tests/CMakeFiles/fogrid-tests.dir/test_fg_config.c.o" "gcc" "tests/CMakeFiles/fogrid-tests.dir/test_fg_config.c.o.d"
  "/work/main/tests/test_fg_msg.c" "tests/CMakeFiles/fogrid-tests.dir/test_fg_msg.c.o" "gcc" "tests/CMakeFiles/fogrid-tests.dir/test_fg_msg.c.o.d"
  "/work/main/tests/test_fg_rpc.c" "tests/CMakeFiles/fogrid-tests.dir/test_fg_rpc.c.o" "gcc" "tests/CMakeFiles/fogrid-tests.dir/test_fg_rpc.c.o.d"
  "/work/main/tests/test_fg_util.c" "tests/CMakeFiles/fogrid-tests.dir/test_fg_util.c.o" "gcc" "tests/CMakeFiles/fogrid-tests.dir/test_fg_util.c.o.d"
  "/work/main/tests/test_hub_sched.c" "tests/CMakeFiles/fogrid-tests.dir/test_hub_sched.c.o" "gcc" "tests/CMakeFiles/fogrid-tests.dir/test_hub_sched.c.o.d"
  "/work/main/tests/test_hub_server.c" "tests/CMakeFiles/fogrid-tests.dir/test_hub_server.c.o" "gcc" "tests/CMakeFiles/fogrid-tests.dir/test_hub_server.c.o.d"
  "/work/main/tests/test_hub_store.c" "tests/CMakeFiles/fogrid-tests.dir/test_hub_store.c.o" "gcc" "tests/CMakeFiles/fogrid-tests.dir/test_hub_store.c.o.d"
  "/work/main/tests/test_loc_registry.c" "tests/CMakeFiles/fogrid-tests.dir/test_loc_registry.c.o" "gcc" "tests/CMakeFiles/fogrid-tests.dir/test_loc_registry.c.o.d"
  "/work/main/tests/test_loc_server.c" "tests/CMakeFiles/fogrid-tests.dir/test_loc_server.c.o" "gcc" "tests/CMakeFiles/fogrid-tests.dir/test_loc_server.c.o.d"
  "/work/main/tests/test_miner_agent.c" "tests/CMakeFiles/fogrid-tests.dir/test_miner_agent.c.o" "gcc" "tests/CMakeFiles/fogrid-tests.dir/test_miner_agent.c.o.d"
  "/work/main/tests/test_miner_runner.c" "tests/CMakeFiles/fogrid-tests.dir/test_miner_runner.c.o" "gcc" "tests/CMakeFiles/fogrid-tests.dir/test_miner_runner.c.o.d"
  "/work/main/tests/test_spine.c" "tests/CMakeFiles/fogrid-tests.dir/test_spine.c.o" "gcc" "tests/CMakeFiles/fogrid-tests.dir/test_spine.c.o.d"
  "/work/main/tests/test_support.c" "tests/CMakeFiles/fogrid-tests.dir/test_support.c.o" "gcc" "tests/CMakeFiles/fogrid-tests.dir/test_support.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/main/build/CMakeFiles/fogrid_locator.dir/DependInfo.cmake"
  "/work/main/build/CMakeFiles/fogrid_hub.dir/DependInfo.cmake"
  "/work/main/build/CMakeFiles/fogrid_miner.dir/DependInfo.cmake"
  "/work/main/build/CMakeFiles/fogrid_cli.dir/DependInfo.cmake"
  "/work/main/build/CMakeFiles/fogrid_common.dir/DependInfo.cmake"
  "/work/main/build/CMakeFiles/fogrid_proto.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
