# Empty compiler generated dependencies file for fogrid_hub.
# This may be replaced when dependencies are built.
