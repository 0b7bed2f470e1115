// Reference kernels for the fused ops the optimizer creates.
export {};
