# Empty compiler generated dependencies file for fogrid-miner.
# This may be replaced when dependencies are built.
