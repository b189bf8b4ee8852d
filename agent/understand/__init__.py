"""Understanding: the reader, quantity reader, taggers, lexicon, refinement, titles, the model."""
