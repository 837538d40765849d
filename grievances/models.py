"""The portal owns no tables: it shows what the other apps keep."""
