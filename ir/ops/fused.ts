// Fused ops created by the optimizer (FusedConv, FusedGemm, FusedElementwise, ...).
export {};
