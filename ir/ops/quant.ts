// Op schemas for this family are registered here.
export {};
