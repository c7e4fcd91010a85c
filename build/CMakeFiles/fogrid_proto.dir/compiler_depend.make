# Empty compiler generated dependencies file for fogrid_proto.
# This may be replaced when dependencies are built.
