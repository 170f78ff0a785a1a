# Run examples/compute_from_csv on tests/data/library/tiny_activity.csv grouped by segment and
# check lines worked out by hand from the seven rows of that file:
#   all customers: 2025-02: a and b were active in January (S = 2), b left (C = 1), c joined
#   (N = 1): E = 2, MRR 120 + 30 = 150.00; 2025-04: a and c left (C = 2), d joined: E = 1, 10.00.
#   segment basic: 2025-02: b (S = 1) left, c joined: E = 1, 30.00; 2025-03: c stays: S = E = 1;
#   2025-04: c left, d joined: E = 1, 10.00.
# Arguments: -DEXAMPLE=path of the built example -DINPUT=path of tiny_activity.csv
execute_process(COMMAND ${EXAMPLE} ${INPUT} segment RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
if(rc)
  message(FATAL_ERROR "compute_from_csv exited ${rc}: ${err}")
endif()
foreach(line
    "2025-02 \\* customers_start=2 new=1 churned=1 customers_end=2 mrr_end=150.00"
    "2025-03 \\* customers_start=2 new=0 churned=0 customers_end=2 mrr_end=150.00"
    "2025-04 \\* customers_start=2 new=1 churned=2 customers_end=1 mrr_end=10.00"
    "2025-02 basic customers_start=1 new=1 churned=1 customers_end=1 mrr_end=30.00"
    "2025-03 basic customers_start=1 new=0 churned=0 customers_end=1 mrr_end=30.00"
    "2025-04 basic customers_start=1 new=1 churned=1 customers_end=1 mrr_end=10.00")
  if(NOT out MATCHES "(^|\n)${line}\n")
    message(FATAL_ERROR "compute_from_csv: no line '${line}' in:\n${out}")
  endif()
endforeach()
message(STATUS "compute_from_csv ok")
