"""Reading frames and masks, writing results atomically."""
