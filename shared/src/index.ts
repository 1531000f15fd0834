export const turnpikeVersion = "0.1.0";
