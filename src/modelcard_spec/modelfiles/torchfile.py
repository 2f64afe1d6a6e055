"""PyTorch checkpoints and plain pickle files, the files ``torch.load`` and ``pickle.load`` read:
zip (``torch.save`` since 1.6, TorchScript), legacy (concatenated pickles) and the oldest tar
format, and pickles of any protocol one after another. The pickles are never unpickled:
:mod:`.pickles` follows their opcodes symbolically, which lists the imported globals (unsafe ones
are findings) and the tensors with dtype and shape; the storages those tensors name are checked
against the bytes that hold them. Tensors of the tar format are not counted."""

from __future__ import annotations

import re
import tarfile
import zipfile
from pathlib import Path

from . import pickles
from .modelinfo import (INT64_MAX, ModelFileError, ModelInfo, TorchScriptCode, element_count, printable_name,
                        register_model_file_check, scan_error, summarise_tensors)
from .ziparchive import ZIP_ERRORS, check_method, member_head, zip_error


def _trailing_messages() -> dict:
    """Bytes after the last complete pickle that are not a pickle yet hold an import opcode: one
    variant per reason the scanner gives (:data:`.pickles.STREAM_PROBLEMS`), with and without the
    offset where it stopped."""
    out = {}
    for variant, (en, zh) in pickles.STREAM_PROBLEMS.items():
        for suffix, at, at_zh in (("", "", ""), (":at", ", at byte {error_at:,}", "，位于字节偏移 {error_at:,} 处")):
            out[f"trailing:{variant}{suffix}"] = (
                "the {rest:,} bytes after the last complete pickle (from byte {start:,}) are not a pickle (" + en + at
                + "), yet pickle.load could run code from them: byte {import_at:,} is an import opcode; the file cannot "
                "be shown safe to load",
                "最后一个完整 pickle 之后的 {rest:,} 字节（自字节偏移 {start:,} 起）不是 pickle（" + zh + at_zh
                + "），但 pickle.load 仍可能从中执行代码：字节偏移 {import_at:,} 处是导入操作码；未能证明加载该文件是安全的")
    return out


register_model_file_check("modelfile.torch", "The PyTorch checkpoint is well-formed and its tensors lie in their storages",
                          "PyTorch 检查点格式正确，且其张量位于各自的存储之内", {
    "missing-storage": ("tensor {name!r} refers to storage data/{key}, which the archive does not contain",
                        "张量 {name!r} 引用的存储 data/{key} 不在归档中"),
    "storage-size": ("storage of tensor {name!r} holds {size:,} bytes, its persistent id declares {numel:,} x {itemsize} = {need:,}",
                     "张量 {name!r} 的存储为 {size:,} 字节，其持久化标识声明为 {numel:,} × {itemsize} = {need:,} 字节"),
    "stride": ("tensor {name!r} has an offset or stride beyond 2^63-1", "张量 {name!r} 的偏移或步长超过 2^63-1"),
    "reach": ("tensor {name!r} (shape {shape!s}, offset {storage_offset:,}) reaches {reach:,} bytes into a storage of {need:,} bytes",
              "张量 {name!r}（形状 {shape!s}，偏移 {storage_offset:,}）需要 {reach:,} 字节，而其存储只有 {need:,} 字节"),
    "legacy-ends": ("the file ends before storage {key}", "文件在存储 {key} 之前结束"),
    "legacy-numel": ("storage {key} holds {numel:,} elements, its tensors' persistent id declares {declared:,}",
                     "存储 {key} 含 {numel:,} 个元素，其张量的持久化标识声明为 {declared:,} 个"),
    "legacy-size": ("storage {key} needs {need:,} bytes, the file has {left:,} left", "存储 {key} 需要 {need:,} 字节，文件只剩 {left:,} 字节"),
    "tar-header": ("a tar header block larger than {limit:,} bytes", "tar 头部块超过 {limit:,} 字节"),
    "tar-unreadable": ("cannot read the tar archive: {reason}", "无法读取 tar 归档：{reason}"),
    "tar-member-missing": ("a tar archive without the member {name!r} of a legacy PyTorch checkpoint",
                           "该 tar 归档缺少旧版 PyTorch 检查点的成员 {name!r}"),
    "tar-link": ("the member is a link or not a regular file; it is not followed", "该成员是链接或不是普通文件，不予跟随"),
    "tar-count": ("the first pickle of {name!r} is not a count", "{name!r} 的第一个 pickle 不是计数"),
    "tar-storage-type": ("storage {index} does not name a known storage type", "第 {index} 个存储未指明已知的存储类型"),
    "tar-negative-size": ("storage {index} has a negative size", "第 {index} 个存储的大小为负数"),
    "tar-negative-rank": ("tensor {index} has a negative rank", "第 {index} 个张量的秩为负数"),
    "tar-ends:storage-size": ("the member ends in the size of storage {index}", "该成员在读取第 {index} 个存储的大小时提前结束"),
    "tar-ends:storage-data": ("the member ends in the data of storage {index}", "该成员在读取第 {index} 个存储的数据时提前结束"),
    "tar-ends:tensor-rank": ("the member ends in the rank of tensor {index}", "该成员在读取第 {index} 个张量的秩时提前结束"),
    "tar-ends:tensor-sizes": ("the member ends in the sizes of tensor {index}", "该成员在读取第 {index} 个张量的尺寸时提前结束"),
    **_trailing_messages(),
})


def _scan_member(zf: zipfile.ZipFile, item: zipfile.ZipInfo, result: pickles.ScanResult,
                 budget: pickles.Budget) -> None:
    """Scan the pickle at the start of one member, then read the member to its end so that zipfile
    checks its CRC (PyTorch's reader checks it too)."""
    check_method(item)
    try:
        fh = zf.open(item)
    except ZIP_ERRORS as exc:
        raise zip_error(exc, item.filename) from None
    with fh:
        reader = pickles.Reader(fh, budget, size=item.file_size, errors=ZIP_ERRORS)
        pickles.scan_stream(reader, result, item.filename, budget)
        reader.drain()


def inspect_torch_zip(zf: zipfile.ZipFile, info: ModelInfo, budget: pickles.Budget) -> None:
    """Every member PyTorch could load as a pickle is scanned: PyTorch finds a record such as
    ``data.pkl`` under the folder of the archive's first entry, comparing names case-insensitively
    (miniz), so every member whose name ends in ``.pkl`` in any case is scanned, and so is every
    other member that is a pickle by its content."""
    info.framework = "PyTorch"
    info.pickle_based = True
    items = zf.infolist()
    first = items[0].filename if items else ""
    prefix = first.split("/", 1)[0].lower() if "/" in first else ""
    result = pickles.ScanResult()
    info.globals, info.findings = result.globals, result.findings  # so far, if an error follows
    try:
        data_root, fallback_root = _scan_members(zf, items, prefix, result, budget)
    finally:
        if info.container == "torchscript":
            _torchscript_findings(items, prefix, result, info)
    _read_archive_version(zf, items, prefix, info, budget)
    root = data_root if data_root is not None else fallback_root
    if root is None:
        return
    refs = pickles.tensors(root, budget=budget)
    if info.container == "pytorch-zip":
        sizes: dict = {}
        for item in items:
            sizes.setdefault(item.filename.lower(), []).append(item.file_size)
        for ref in refs:
            key = ref.storage_key
            if key is None or ref.storage_numel is None or ref.storage_itemsize is None:
                continue
            record = f"{prefix}/data/{key}".lower()
            if record not in sizes:
                raise ModelFileError("modelfile.torch", "missing-storage", member=f"{prefix}/data.pkl",
                                     name=printable_name(ref.name), key=key)
            _check_storage(ref, sizes[record], f"{prefix}/data/{key}")
    # Only TorchScript's code marks parameters in a way a pickle cannot fake by its keys: a pickled
    # module's _parameters / _buffers are dictionary keys like any other, so other files fall back to names
    parameters = _torchscript_parameters(zf, items, prefix, refs, budget) if info.container == "torchscript" else None
    summarise_tensors(info, [(r.name, r.dtype, r.shape) for r in refs], parameters)


def _scan_members(zf, items, prefix: str, result: pickles.ScanResult, budget: pickles.Budget) -> tuple:
    """Scan every member that is a pickle by its name or its content into ``result``; the roots of
    ``<prefix>/data.pkl`` and of the first other ``data.pkl`` (None where there is none)."""
    data_root = fallback_root = None
    for item in sorted(items, key=lambda i: i.filename):
        if item.filename.endswith("/"):  # a folder (ZipInfo.is_dir fails on an empty name)
            continue
        lower = item.filename.lower()
        named = lower.endswith(".pkl")
        if not named and not pickles.sniff(member_head(zf, item, budget, pickles.SNIFF_BYTES), budget):
            continue
        member = pickles.ScanResult()
        try:
            _scan_member(zf, item, member, budget)
        except pickles.PickleError as exc:
            if named:
                result.merge(member)  # torch.load imports these before the error stops it
                raise scan_error(exc, item.filename) from None
            continue  # it only looked like a pickle (source code starting "class", a storage's bytes)
        except pickles.LimitExceeded as exc:
            result.merge(member)
            raise scan_error(exc, item.filename) from None
        result.merge(member)
        if lower == f"{prefix}/data.pkl" and data_root is None:
            data_root = result.roots[-1]
        elif lower.rsplit("/", 1)[-1] == "data.pkl" and fallback_root is None:
            fallback_root = result.roots[-1]
    return data_root, fallback_root


# The globals torch.jit.load's own unpickler (torch/csrc/jit/serialization/unpickler.cpp) resolves
# in a TorchScript archive besides the tensor ones: its list builders and type tags.
TORCHSCRIPT_GLOBALS = {"torch.jit._pickle": {"build_intlist", "build_tensorlist", "build_doublelist",
                                             "build_boollist", "build_tensor_from_id", "restore_type_tag"}}


def is_torchscript_global(dotted: str) -> bool:
    """Whether a global of a TorchScript archive's pickles is TorchScript's own: a class compiled
    from the archive's code (``__torch__.``; Python's pickle cannot import it at all, there is no
    such module) or one of :data:`TORCHSCRIPT_GLOBALS`. Every other global is judged as in any
    pickle: a TorchScript archive whose pickle imports ``os.system`` is as unsafe as any file."""
    if dotted.startswith("__torch__."):
        return True
    module, _, name = dotted.rpartition(".")
    return name in TORCHSCRIPT_GLOBALS.get(module, ())


def _torchscript_findings(items, prefix: str, result: pickles.ScanResult, info: ModelInfo) -> None:
    """In a TorchScript archive, the findings on TorchScript's own globals are not pickle findings:
    they become ``info.torchscript`` (the code files and the classes the pickles use), reported as
    TorchScript code (``modelfile.torchscript-code``). The other findings stay."""
    own = [f for f in result.findings if is_torchscript_global(f.name)]
    result.findings[:] = [f for f in result.findings if not is_torchscript_global(f.name)]
    folder = "/".join(p for p in (prefix, CODE_FOLDER) if p) + "/"  # prefix is lower case, as miniz compares
    code = [i.filename for i in items if i.filename.lower().startswith(folder) and i.filename.endswith(".py")]
    info.torchscript = TorchScriptCode(len(code), sorted(f.name for f in own if f.name.startswith("__torch__.")))


CODE_FOLDER = "code"  # the folder of a TorchScript archive's code, under the archive's first folder
MAX_CODE_BYTES = 1 << 20  # a TorchScript code file read for a class's __parameters__
_CLASS = re.compile(r"^class (\w+)\(.*$", re.M)
_PARAMETERS = re.compile(r"^  __parameters__ = \[(.*)\]\s*$", re.M)


def _torchscript_parameters(zf, items, prefix: str, refs: list, budget: pickles.Budget) -> set | None:
    """The names of the tensors that TorchScript's own records mark as parameters: each tensor is an
    attribute of a module whose class, in the archive's code, lists its ``__parameters__``. None
    (tell them by names) if a tensor is not such an attribute or its class cannot be read."""
    by_name = {i.filename.lower(): i for i in items}  # prefix is lower case too (as miniz compares)
    lists: dict = {}
    out = set()
    for ref in refs:
        if ref.owner is None or not ref.owner[0].startswith("__torch__."):
            return None
        cls, attribute = ref.owner
        if cls not in lists:
            lists[cls] = _class_parameters(zf, by_name, prefix, cls, budget)
        if lists[cls] is None:
            return None
        if attribute in lists[cls]:
            out.add(ref.name)
    return out


def _class_parameters(zf, by_name: dict, prefix: str, cls: str, budget: pickles.Budget) -> set | None:
    """The ``__parameters__`` of class ``cls`` (``__torch__.a.b.C`` is class C of ``code/__torch__/a/b.py``),
    or None if the file, the class or its list is not there."""
    module, _, name = cls.rpartition(".")
    path = "/".join(p for p in (prefix, CODE_FOLDER, module.replace(".", "/") + ".py") if p).lower()
    item = by_name.get(path)
    if item is None or item.file_size > MAX_CODE_BYTES:
        return None
    text = member_head(zf, item, budget, MAX_CODE_BYTES).decode("utf-8", errors="replace")
    starts = [(m.start(), m.group(1)) for m in _CLASS.finditer(text)]
    for i, (start, found) in enumerate(starts):
        if found != name:
            continue
        block = text[start:starts[i + 1][0] if i + 1 < len(starts) else len(text)]
        found_list = _PARAMETERS.search(block)
        return set(re.findall(r'"([^"]*)"', found_list.group(1))) if found_list else None
    return None


def _check_storage(ref: pickles.TensorRef, held: list, record: str, offset: int | None = None) -> None:
    """A storage record holds numel x itemsize bytes, and the tensor lies inside its storage (both
    are what PyTorch checks when it loads the tensor)."""
    need = ref.storage_numel * ref.storage_itemsize
    for size in held:
        if size != need:
            raise ModelFileError("modelfile.torch", "storage-size", member=record, offset=offset,
                                 name=printable_name(ref.name), size=size, numel=ref.storage_numel,
                                 itemsize=ref.storage_itemsize, need=need)
    itemsize = pickles.ITEMSIZE.get(ref.dtype)
    if itemsize is None:
        return
    element_count(ref.shape, "tensor", printable_name(ref.name))
    if ref.offset > INT64_MAX or any(s > INT64_MAX for s in ref.stride or ()):
        raise ModelFileError("modelfile.torch", "stride", member=record, offset=offset, name=printable_name(ref.name))
    reach = ref.extent() * itemsize
    if reach > need:
        raise ModelFileError("modelfile.torch", "reach", member=record, offset=offset, name=printable_name(ref.name),
                             shape=list(ref.shape), storage_offset=ref.offset, reach=reach, need=need)


def _read_archive_version(zf, items, prefix: str, info: ModelInfo, budget: pickles.Budget) -> None:
    """The archive format version: a small decimal number (never more than 64 bytes are read)."""
    wanted = (f"{prefix}/.data/version", f"{prefix}/version")
    found = [i for i in items if i.filename.lower() in wanted]
    found.sort(key=lambda i: wanted.index(i.filename.lower()))
    if not found:
        return
    head = member_head(zf, found[0], budget, 65)
    match = re.fullmatch(rb"\s*(\d{1,18})\s*", head)
    if match and found[0].file_size <= 64:
        info.framework_version = f"archive format {int(match.group(1))}"
    else:
        info.notes.append(f"{found[0].filename} ({found[0].file_size:,} bytes) is not a version number; not read")


def inspect_torch_legacy(path: Path, info: ModelInfo, budget: pickles.Budget) -> None:
    """Five pickles (magic number, protocol, system info, the object, the storage keys), then each
    storage as an int64 element count and its bytes."""
    info.framework = "PyTorch"
    info.framework_version = "legacy (pre-1.6) serialisation"
    info.pickle_based = True
    result = pickles.ScanResult()
    info.globals, info.findings = result.globals, result.findings  # so far, if an error follows
    with open(path, "rb") as fh:
        reader = pickles.Reader(fh, budget, size=info.size_bytes, seekable=True)
        for label in ("magic", "protocol", "sys_info", "data", "storage_keys"):
            try:
                pickles.scan_stream(reader, result, label, budget)
            except (pickles.PickleError, pickles.LimitExceeded) as exc:
                raise scan_error(exc, label) from None
        refs = pickles.tensors(result.roots[3], budget=budget)
        _check_legacy_storages(fh, reader.offset, info.size_bytes, refs, result.roots[4])
    summarise_tensors(info, [(r.name, r.dtype, r.shape) for r in refs])


TAR_ERRORS = (tarfile.TarError, OSError, EOFError, ValueError, UnicodeError)
TAR_RECORDS = ("storages", "tensors", "pickle")  # in the order torch.load reads them
MAX_TAR_READ = 2 << 20  # the largest single read tarfile may make (an extended header is read whole)


class _BoundedReads:
    """A file whose ``read`` refuses to return more than ``limit`` bytes at once. tarfile reads a
    member's extended header (pax, GNU long name) whole, so a header claiming a gigabyte is an
    error here rather than a gigabyte of memory; member data is read in small blocks."""

    def __init__(self, fh, limit: int):
        self.fh, self.limit = fh, limit

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0 or n > self.limit:
            raise ModelFileError("modelfile.torch", "tar-header", offset=self.fh.tell(), limit=self.limit)
        return self.fh.read(n)

    def seek(self, *args) -> int:
        return self.fh.seek(*args)

    def tell(self) -> int:
        return self.fh.tell()


def inspect_torch_tar(path: Path, info: ModelInfo, budget: pickles.Budget) -> None:
    """PyTorch's oldest format, a tar archive. ``torch.load`` tries it first on any file that is not
    a zip: it unpickles the member ``storages`` (a count; per storage a pickle, an int64 element
    count and the bytes; a pickle of views), then ``tensors`` (a count; per tensor a pickle, then
    its rank and sizes), then ``pickle`` (the object), each the last member of that exact name.
    Members are read in place, never extracted, within the file's budget; their tensors are not
    counted. A file whose first bytes are also a pickle is scanned as one too (``pickle.load``
    reads it)."""
    info.framework = "PyTorch"
    info.framework_version = "legacy (tar) serialisation"
    info.pickle_based = True
    result = pickles.ScanResult()
    info.globals, info.findings = result.globals, result.findings  # so far, if an error follows
    error = None
    with open(path, "rb") as fh:
        head = fh.read(pickles.SNIFF_BYTES)
        fh.seek(0)  # tarfile starts where the file is
        try:
            with tarfile.open(fileobj=_BoundedReads(fh, MAX_TAR_READ), mode="r:") as tar:
                records = _tar_records(tar, budget)
                for name in TAR_RECORDS:
                    if name not in records:
                        raise ModelFileError("modelfile.torch", "tar-member-missing", name=name)
                    _scan_tar_record(tar, records[name], result, budget)
        except TAR_ERRORS as exc:
            error = ModelFileError("modelfile.torch", "tar-unreadable", reason=str(exc))
        except ModelFileError as exc:
            error = exc
    # torch.load reads a file whose tar archive fails as a pickle; pickle.load reads any file as one
    if pickles.sniff(head, budget):
        _scan_pickles(path, info, result, budget)
    if error is not None:
        raise error
    info.notes.append("tensors of the tar format are not counted")


def _tar_records(tar: tarfile.TarFile, budget: pickles.Budget) -> dict:
    """The members torch.load reads, by name (the last of each name, as ``TarFile.getmember``
    finds it), after reading every header within the budget's member limit."""
    found: dict = {}
    while True:
        member = tar.next()
        if member is None:
            return found
        budget.spend("members", 1, member.offset)
        if not budget.used["members"] & 0xFF:
            budget.check_time(member.offset)
        if member.name in TAR_RECORDS:
            found[member.name] = member


def _scan_tar_record(tar: tarfile.TarFile, member: tarfile.TarInfo, result: pickles.ScanResult,
                     budget: pickles.Budget) -> None:
    """The pickles of one member, with the binary data torch.load reads between them skipped."""
    name = member.name
    if not member.isreg():
        raise ModelFileError("modelfile.torch", "tar-link", member=name)
    fh = tar.extractfile(member)
    reader = pickles.Reader(fh, budget, size=member.size, seekable=True, errors=TAR_ERRORS)

    def scan(label: str):
        try:
            pickles.scan_stream(reader, result, label, budget)
        except (pickles.PickleError, pickles.LimitExceeded) as exc:
            raise scan_error(exc, label) from None
        return result.roots[-1]

    def take(n: int, what: str, index: int) -> bytes:
        """``n`` bytes of the member; ``what`` (``storage-size``, ``storage-data``, ``tensor-rank``,
        ``tensor-sizes``) of storage or tensor ``index`` names them should the member end first."""
        try:
            return reader.take(n) if n <= 64 else (reader.payload(n, keep=0) or b"")
        except pickles.PickleError:
            raise ModelFileError("modelfile.torch", f"tar-ends:{what}", member=name, offset=reader.offset,
                                 index=index) from None

    if name == "pickle":
        scan(name)
        return
    count = scan(name)
    if type(count) is not int or count < 0:
        raise ModelFileError("modelfile.torch", "tar-count", member=name, name=name)
    for i in range(1, count + 1):
        args = scan(f"{name}#{i}")
        if name == "storages":
            itemsize = _tar_storage_itemsize(args)
            if itemsize is None:
                raise ModelFileError("modelfile.torch", "tar-storage-type", member=f"{name}#{i}", index=i)
            numel = int.from_bytes(take(8, "storage-size", i), "little", signed=True)
            if numel < 0:
                raise ModelFileError("modelfile.torch", "tar-negative-size", member=name, offset=reader.offset - 8,
                                     index=i)
            take(numel * itemsize, "storage-data", i)
        else:
            ndim = int.from_bytes(take(4, "tensor-rank", i), "little", signed=True)
            if ndim < 0:
                raise ModelFileError("modelfile.torch", "tar-negative-rank", member=name, offset=reader.offset - 4,
                                     index=i)
            take(4 + 16 * ndim + 8, "tensor-sizes", i)
    if name == "storages":
        scan(f"{name}#views")


def _tar_storage_itemsize(args) -> int | None:
    """Bytes per element of the storage type that a storage's pickle ``(key, location, type)`` names."""
    if not pickles.is_tuple(args) or len(args) != 3 or not isinstance(args[2], pickles.Global):
        return None
    return pickles.ITEMSIZE.get(pickles.STORAGE_DTYPES.get(args[2].name, ""))


def _check_legacy_storages(fh, pos: int, size: int, refs: list, keys) -> None:
    """Walk the storages after the pickles, one seek each, as far as their element sizes are known."""
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        return
    by_key: dict = {}
    for ref in refs:
        if ref.storage_key is not None and ref.storage_itemsize is not None and ref.storage_numel is not None:
            by_key.setdefault(ref.storage_key, []).append(ref)
    for key in keys:
        tied = by_key.get(key)
        if not tied:
            return  # a storage no tensor describes: its length in bytes is unknown, so stop here
        if pos + 8 > size:
            raise ModelFileError("modelfile.torch", "legacy-ends", offset=pos, key=key)
        fh.seek(pos)
        numel = int.from_bytes(fh.read(8), "little", signed=True)
        declared = tied[0].storage_numel
        if numel != declared:
            raise ModelFileError("modelfile.torch", "legacy-numel", offset=pos, key=key, numel=numel, declared=declared)
        need = declared * tied[0].storage_itemsize
        if pos + 8 + need > size:
            raise ModelFileError("modelfile.torch", "legacy-size", offset=pos, key=key, need=need,
                                 left=max(size - pos - 8, 0))
        for ref in tied:
            _check_storage(ref, [need], f"storage {key}", pos)
        pos += 8 + need


def inspect_pickle(path: Path, info: ModelInfo, budget: pickles.Budget) -> None:
    """Every pickle in the file, one after another (``pickle.load`` called again reads the next)."""
    info.pickle_based = True
    result = pickles.ScanResult()
    info.globals, info.findings = result.globals, result.findings  # so far, if an error follows
    _scan_pickles(path, info, result, budget)


# The opcodes that import (GLOBAL, INST, STACK_GLOBAL, EXT1, EXT2, EXT4). Without an import there is
# nothing to call: every other opcode builds plain data (str, bytes, numbers, containers), and
# calling, building or appending to plain data runs only built-in code.
IMPORT_OPCODES = b"ci\x93\x82\x83\x84"
SCAN_BLOCK = 1 << 20  # bytes scanned at a time for import opcodes


def _scan_pickles(path: Path, info: ModelInfo, result: pickles.ScanResult, budget: pickles.Budget) -> None:
    """Scan the pickles of a file from its start to its end. Bytes after the last complete pickle
    are an error unless no ``pickle.load`` can run code from them, whichever byte it starts at: they
    hold no import opcode. A loader that catches the error and calls ``pickle.load`` again goes on
    from wherever the failed load stopped, so nothing less than every remaining byte is proof."""
    with open(path, "rb") as fh:
        reader = pickles.Reader(fh, budget, size=info.size_bytes, seekable=True)
        index = 0
        while True:
            label = path.name if index == 0 else f"{path.name}#{index}"
            start = reader.offset
            try:
                pickles.scan_stream(reader, result, label, budget)
            except pickles.PickleError as exc:
                if index == 0 or isinstance(exc, pickles.ReadError):
                    raise scan_error(exc, label) from None
                _check_trailing(fh, start, info, exc, label, budget)
                return
            except pickles.LimitExceeded as exc:
                raise scan_error(exc, label) from None
            if not reader.fill(1):
                return
            index += 1


def _check_trailing(fh, start: int, info: ModelInfo, exc: pickles.PickleError, label: str,
                    budget: pickles.Budget) -> None:
    """The bytes from ``start`` to the end of the file are not a complete pickle (``exc`` says why):
    a note when none of them is an import opcode, else an error."""
    rest = info.size_bytes - start
    where = _first_import_opcode(fh, start, info.size_bytes, budget)
    if where is None:
        info.notes.append(f"{rest:,} bytes after the last pickle (from byte {start:,}) are not a pickle and hold "
                          "no import opcode, so pickle.load cannot run code from them")
        return
    at = {} if exc.offset is None else {"error_at": exc.offset}
    raise ModelFileError("modelfile.torch", f"trailing:{exc.variant}" + (":at" if at else ""), member=label,
                         offset=start, rest=rest, start=start, import_at=where, **at, **exc.params)


def _first_import_opcode(fh, start: int, end: int, budget: pickles.Budget) -> int | None:
    """The offset of the first import opcode byte in ``fh`` from ``start`` to ``end``, or None."""
    fh.seek(start)
    pos = start
    while pos < end:
        block = fh.read(min(SCAN_BLOCK, end - pos))
        if not block:
            return None
        hits = [i for i in map(block.find, (bytes([b]) for b in IMPORT_OPCODES)) if i >= 0]
        if hits:
            return pos + min(hits)
        pos += len(block)
        budget.check_time(pos)
    return None
