"""Community cameras: residents who join with invite codes and the cameras they volunteer."""
