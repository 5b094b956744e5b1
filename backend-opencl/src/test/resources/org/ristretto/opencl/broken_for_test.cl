// A kernel that does not compile, for the build-error test.
__kernel void broken(__global float* x) {
    x[0] = undeclared_identifier;
}
