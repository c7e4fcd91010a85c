# Empty compiler generated dependencies file for fogrid-hub.
# This may be replaced when dependencies are built.
