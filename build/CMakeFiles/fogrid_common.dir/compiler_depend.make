# Empty compiler generated dependencies file for fogrid_common.
# This may be replaced when dependencies are built.
