"""Appraisals of stations and units (民主评议; built in the appraisals issue)."""
