# Empty compiler generated dependencies file for fogrid_miner.
# This may be replaced when dependencies are built.
