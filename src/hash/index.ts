/** 128-bit hashing: MurmurHash3 x86_128, canonical row encoding, hex and byte helpers. */
export { murmur3x86_128, murmur3x86_128Words } from "./murmur3";
export { Tag, UnsupportedColumnError } from "./encode";
export { HASH_WORDS, encodeRow, hashColumns, hashColumnsSliced } from "./columns";
export { LITTLE_ENDIAN, hashToHex, hashWordsFromBytes, hexToHash, hexesToHashes, keyHashBytes, writeHashBytes } from "./hex";
