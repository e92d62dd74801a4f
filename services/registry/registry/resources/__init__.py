"""One ResourceSpec per registry resource: its schemas, who may write it, which references it
must have, and what it tells the other services."""
