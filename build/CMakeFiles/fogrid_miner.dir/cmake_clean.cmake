file(REMOVE_RECURSE
  "CMakeFiles/fogrid_miner.dir/miner/miner_placeholder.c.o"
  "CMakeFiles/fogrid_miner.dir/miner/miner_placeholder.c.o.d"
  "libfogrid_miner.a"
  "libfogrid_miner.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fogrid_miner.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
