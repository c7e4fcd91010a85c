CMakeFiles/fogrid_common.dir/common/fg_error.c.o: \
 /work/main/common/fg_error.c /usr/include/stdc-predef.h \
 /work/main/common/fg_error.h
