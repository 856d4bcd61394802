"""Reproduction of "Meta-trained agents implement Bayes-optimal agents" (Mikulik et al. 2020)."""

__version__ = "0.1.0"
