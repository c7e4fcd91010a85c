# CMake generated Testfile for 
# Source directory: /work/main/tests
# Build directory: /work/main/build/tests
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
add_test(fg_util "/work/main/build/tests/fogrid-tests" "fg_util")
set_tests_properties(fg_util PROPERTIES  ENVIRONMENT "FOGRID_BIN_DIR=/work/main/build/bin;FOGRID_SOURCE_DIR=/work/main" TIMEOUT "30" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;36;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(fg_msg "/work/main/build/tests/fogrid-tests" "fg_msg")
set_tests_properties(fg_msg PROPERTIES  ENVIRONMENT "FOGRID_BIN_DIR=/work/main/build/bin;FOGRID_SOURCE_DIR=/work/main" TIMEOUT "30" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;36;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(fg_config "/work/main/build/tests/fogrid-tests" "fg_config")
set_tests_properties(fg_config PROPERTIES  ENVIRONMENT "FOGRID_BIN_DIR=/work/main/build/bin;FOGRID_SOURCE_DIR=/work/main" TIMEOUT "30" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;36;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(fg_rpc "/work/main/build/tests/fogrid-tests" "fg_rpc")
set_tests_properties(fg_rpc PROPERTIES  ENVIRONMENT "FOGRID_BIN_DIR=/work/main/build/bin;FOGRID_SOURCE_DIR=/work/main" TIMEOUT "60" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;36;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(loc_registry "/work/main/build/tests/fogrid-tests" "loc_registry")
set_tests_properties(loc_registry PROPERTIES  ENVIRONMENT "FOGRID_BIN_DIR=/work/main/build/bin;FOGRID_SOURCE_DIR=/work/main" TIMEOUT "30" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;36;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(loc_server "/work/main/build/tests/fogrid-tests" "loc_server")
set_tests_properties(loc_server PROPERTIES  ENVIRONMENT "FOGRID_BIN_DIR=/work/main/build/bin;FOGRID_SOURCE_DIR=/work/main" TIMEOUT "60" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;36;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(hub_store "/work/main/build/tests/fogrid-tests" "hub_store")
set_tests_properties(hub_store PROPERTIES  ENVIRONMENT "FOGRID_BIN_DIR=/work/main/build/bin;FOGRID_SOURCE_DIR=/work/main" TIMEOUT "60" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;36;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(hub_sched "/work/main/build/tests/fogrid-tests" "hub_sched")
set_tests_properties(hub_sched PROPERTIES  ENVIRONMENT "FOGRID_BIN_DIR=/work/main/build/bin;FOGRID_SOURCE_DIR=/work/main" TIMEOUT "30" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;36;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(hub_server "/work/main/build/tests/fogrid-tests" "hub_server")
set_tests_properties(hub_server PROPERTIES  ENVIRONMENT "FOGRID_BIN_DIR=/work/main/build/bin;FOGRID_SOURCE_DIR=/work/main" TIMEOUT "120" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;36;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(miner_runner "/work/main/build/tests/fogrid-tests" "miner_runner")
set_tests_properties(miner_runner PROPERTIES  ENVIRONMENT "FOGRID_BIN_DIR=/work/main/build/bin;FOGRID_SOURCE_DIR=/work/main" TIMEOUT "60" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;36;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(miner_agent "/work/main/build/tests/fogrid-tests" "miner_agent")
set_tests_properties(miner_agent PROPERTIES  ENVIRONMENT "FOGRID_BIN_DIR=/work/main/build/bin;FOGRID_SOURCE_DIR=/work/main" TIMEOUT "120" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;36;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(cli "/work/main/build/tests/fogrid-tests" "cli")
set_tests_properties(cli PROPERTIES  ENVIRONMENT "FOGRID_BIN_DIR=/work/main/build/bin;FOGRID_SOURCE_DIR=/work/main" TIMEOUT "60" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;36;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(spine "/work/main/build/tests/fogrid-tests" "spine")
set_tests_properties(spine PROPERTIES  ENVIRONMENT "FOGRID_BIN_DIR=/work/main/build/bin;FOGRID_SOURCE_DIR=/work/main" TIMEOUT "300" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;36;add_test;/work/main/tests/CMakeLists.txt;0;")
