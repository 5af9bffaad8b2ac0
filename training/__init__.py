"""Training, evaluation and publishing scripts for imagination checkpoints."""
