file(REMOVE_RECURSE
  "libfogrid_miner.a"
)
