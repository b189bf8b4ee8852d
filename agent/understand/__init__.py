"""Understanding: the reader, taggers, lexicon, follow-up refinement, the Understanding model."""
