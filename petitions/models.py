"""The case: petitions, their timeline, deadlines and supervision (built in the petitions issue)."""
