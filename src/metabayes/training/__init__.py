"""Meta-training of RNN agents."""
