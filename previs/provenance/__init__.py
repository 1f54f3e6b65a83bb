"""Provenance for generated frames: who signed a frame, what it claims, and whether the studio made it.

``identity`` holds the studio signing identity, ``credentials`` writes and reads C2PA Content Credentials,
``ledger`` is the hash-chained record of every frame made, and ``verify`` combines the two to judge any
image someone hands in. Everything here works on bytes and never touches the network.
"""
