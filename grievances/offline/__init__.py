"""The offline village desk (离线受理): a progressive web app for desks without internet."""
