"""Reading frames and masks, writing results atomically, mask overlays (images and H.264 video)."""
