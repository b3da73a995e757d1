"""The revisions of the store's migrations, one file each, oldest first: ``NNNN_name.py`` holding
revision ``NNNN_name`` (see :mod:`jobfsm.store.migrate`)."""
