// One row of the bench's table, shared by the report and the CPU rows it is built from.
export type Row = { scenario: string; measure: string; value: string; ratio: string; target: string; met: string };
