"""The ledger (台账): Excel export of a case list (`exports`) and batch import of a paper
ledger (`imports`), with their pages and the background export job."""
