file(REMOVE_RECURSE
  "CMakeFiles/fogrid-tests.dir/fogrid_tests.c.o"
  "CMakeFiles/fogrid-tests.dir/fogrid_tests.c.o.d"
  "CMakeFiles/fogrid-tests.dir/test_cli.c.o"
  "CMakeFiles/fogrid-tests.dir/test_cli.c.o.d"
  "CMakeFiles/fogrid-tests.dir/test_fg_config.c.o"
  "CMakeFiles/fogrid-tests.dir/test_fg_config.c.o.d"
  "CMakeFiles/fogrid-tests.dir/test_fg_msg.c.o"
  "CMakeFiles/fogrid-tests.dir/test_fg_msg.c.o.d"
  "CMakeFiles/fogrid-tests.dir/test_fg_rpc.c.o"
  "CMakeFiles/fogrid-tests.dir/test_fg_rpc.c.o.d"
  "CMakeFiles/fogrid-tests.dir/test_fg_util.c.o"
  "CMakeFiles/fogrid-tests.dir/test_fg_util.c.o.d"
  "CMakeFiles/fogrid-tests.dir/test_hub_sched.c.o"
  "CMakeFiles/fogrid-tests.dir/test_hub_sched.c.o.d"
  "CMakeFiles/fogrid-tests.dir/test_hub_server.c.o"
  "CMakeFiles/fogrid-tests.dir/test_hub_server.c.o.d"
  "CMakeFiles/fogrid-tests.dir/test_hub_store.c.o"
  "CMakeFiles/fogrid-tests.dir/test_hub_store.c.o.d"
  "CMakeFiles/fogrid-tests.dir/test_loc_registry.c.o"
  "CMakeFiles/fogrid-tests.dir/test_loc_registry.c.o.d"
  "CMakeFiles/fogrid-tests.dir/test_loc_server.c.o"
  "CMakeFiles/fogrid-tests.dir/test_loc_server.c.o.d"
  "CMakeFiles/fogrid-tests.dir/test_miner_agent.c.o"
  "CMakeFiles/fogrid-tests.dir/test_miner_agent.c.o.d"
  "CMakeFiles/fogrid-tests.dir/test_miner_runner.c.o"
  "CMakeFiles/fogrid-tests.dir/test_miner_runner.c.o.d"
  "CMakeFiles/fogrid-tests.dir/test_spine.c.o"
  "CMakeFiles/fogrid-tests.dir/test_spine.c.o.d"
  "CMakeFiles/fogrid-tests.dir/test_support.c.o"
  "CMakeFiles/fogrid-tests.dir/test_support.c.o.d"
  "fogrid-tests"
  "fogrid-tests.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fogrid-tests.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
