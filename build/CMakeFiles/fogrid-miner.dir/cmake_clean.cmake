file(REMOVE_RECURSE
  "CMakeFiles/fogrid-miner.dir/miner/miner_main.c.o"
  "CMakeFiles/fogrid-miner.dir/miner/miner_main.c.o.d"
  "bin/fogrid-miner"
  "bin/fogrid-miner.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fogrid-miner.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
