"""The PM's desk: what needs action today across a PM's projects."""
