// Reference kernels for this family are registered here.
export {};
