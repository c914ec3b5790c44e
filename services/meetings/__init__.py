"""Joint meetings (联席会议): evaluate completed claims, vote, grant points, publicize."""
