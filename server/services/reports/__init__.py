"""Reports: period reports, payroll export, PDF files and the plant dashboard."""
