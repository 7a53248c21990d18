/** Parquet codec: Arrow column builders and Arrow <-> Parquet conversion. */
export * from "./columns";
export * from "./codec";
export { dictionaryPays } from "./dictionary";
export { ParquetFormatError, readFooter, type ColumnChunkInfo, type FooterInfo, type RowGroupInfo } from "./footer";
