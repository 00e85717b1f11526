"""One module per migration, `NNNN_what.py`, revision id `NNNN`, each `down_revision` the one before."""
