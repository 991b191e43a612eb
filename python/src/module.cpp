// anda._core: the Python face of the C++ library, built from the same headers (pybind11).
// Arrays cross the boundary without lossy conversion: float16/float32 in (float32 goes through
// FP16 by round-to-nearest-even, as in C++), other dtypes are refused with TypeError, bad values
// raise ValueError (anda.Error) with the library's own message. Bit-plane views are zero-copy.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <anda/anda.hpp>

#include <climits>
#include <cstring>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "whatif_report.hpp"

namespace py = pybind11;

namespace anda::python {
namespace {

rounding rounding_arg(const std::string& s) {
  if (auto r = parse_rounding(s)) return *r;
  throw py::value_error("rounding \"" + s +
                        "\" is not known (truncate, nearest_even, nearest_away)");
}

nonfinite nonfinite_arg(const std::string& s) {
  if (auto n = parse_nonfinite(s)) return *n;
  throw py::value_error("nonfinite \"" + s + "\" is not known (reject, propagate)");
}

weight_type weight_type_arg(const std::string& s) {
  if (auto t = parse_weight_type(s)) return *t;
  throw py::value_error("kind \"" + s + "\" is not known (int4, int4-asym, int8)");
}

accumulate mode_arg(const std::string& s) {
  if (auto a = parse_accumulate(s)) return *a;
  throw py::value_error("mode \"" + s + "\" is not known (fp32, paper)");
}

std::string text_of(const py::object& o) {
  return py::str(o).cast<std::string>();
}

// An integer argument (a Python or NumPy integer; bool refused) within [lo, hi]: TypeError for
// another type, ValueError naming the argument and the range otherwise.
long long int_arg(const char* fn, const char* name, const py::handle& v, long long lo,
                  long long hi) {
  const auto type_error = [&] {
    return py::type_error(std::string(fn) + ": " + name + " must be an integer, got " +
                          text_of(py::type::of(v)));
  };
  if (PyBool_Check(v.ptr()) || !PyIndex_Check(v.ptr())) throw type_error();
  const auto i = py::reinterpret_steal<py::object>(PyNumber_Index(v.ptr()));
  if (!i) {
    PyErr_Clear();
    throw type_error();
  }
  int overflow = 0;
  const long long x = PyLong_AsLongLongAndOverflow(i.ptr(), &overflow);
  if (overflow || x < lo || x > hi)
    throw py::value_error(std::string(fn) + ": " + name + " = " + text_of(i) +
                          " is out of range (" + std::to_string(lo) + ".." + std::to_string(hi) +
                          ")");
  return x;
}

int int_arg(const char* fn, const char* name, const py::handle& v) {
  return static_cast<int>(int_arg(fn, name, v, INT_MIN, INT_MAX));
}

// The validated Anda format of the keyword arguments (anda.Error names a bad G or M).
format format_arg(const char* fn, const py::handle& group, const py::handle& mantissa,
                  const std::string& round, const std::string& nonfinite_policy) {
  return {int_arg(fn, "group", group), int_arg(fn, "mantissa", mantissa), rounding_arg(round),
          nonfinite_arg(nonfinite_policy)};
}

// numpy.ma.MaskedArray: its mask would be silently ignored. The class is looked up once (every
// hooked PyTorch layer passes through here) and never released (no destructor after exit).
bool is_masked(const py::handle& obj) {
  static const auto* masked = new py::object(py::module_::import("numpy.ma").attr("MaskedArray"));
  return py::isinstance(obj, *masked);
}

constexpr int aligned_c_style =
    int(py::array::c_style) | int(py::detail::npy_api::NPY_ARRAY_ALIGNED_);

// An array argument of exactly one of `allowed` dtypes (native byte order), made C-contiguous and
// aligned (a lossless copy where needed); anything else is a TypeError that names what came.
py::array array_arg(const char* fn, const char* what, const py::handle& obj,
                    std::initializer_list<py::dtype> allowed, const char* hint = "") {
  if (!py::isinstance<py::array>(obj) || is_masked(obj))
    throw py::type_error(std::string(fn) + ": " + what +
                         " must be a numpy array (not masked), got " + text_of(py::type::of(obj)));
  const auto a = py::reinterpret_borrow<py::array>(obj);
  for (const auto& d : allowed)
    if (a.dtype().equal(d)) return py::array::ensure(a, aligned_c_style);
  std::string names;
  for (const auto& d : allowed) names += (names.empty() ? "" : " or ") + text_of(d);
  throw py::type_error(std::string(fn) + ": " + what + " has dtype " + text_of(a.dtype()) +
                       ", expected " + names + " (native byte order)" + hint);
}

const char* float_hint =
    "; convert explicitly, e.g. x.astype(numpy.float32): float64 -> FP16 through float32 would "
    "round twice";

// An encoded tensor and the shape of the array it came from (decode gives that shape back).
struct py_activation {
  activation_tensor t;
  std::vector<py::ssize_t> shape;
};

// Encodes x with groups along its last axis; the other axes are flattened into rows.
py_activation encode_array(const char* fn, const py::handle& x, const format& fmt) {
  const auto a = array_arg(fn, "x", x, {py::dtype::of<float>(), py::dtype("float16")}, float_hint);
  if (a.ndim() < 1)
    throw py::value_error(std::string(fn) +
                          ": x must have at least one axis (groups run along the last)");
  std::vector<py::ssize_t> shape(a.shape(), a.shape() + a.ndim());
  const auto cols = static_cast<std::size_t>(shape.back());
  const auto rows =
      std::accumulate(shape.begin(), shape.end() - 1, std::size_t{1},
                      [](std::size_t p, py::ssize_t d) { return p * std::size_t(d); });
  const void* src = a.data();
  const bool is_float = a.dtype().equal(py::dtype::of<float>());
  py::gil_scoped_release nogil;
  return {is_float ? encode_float(fmt, static_cast<const float*>(src), rows, cols, cols)
                   : encode(fmt, static_cast<const std::uint16_t*>(src), rows, cols, cols),
          std::move(shape)};
}

// Decodes into `out`: a writeable C-contiguous float32 or float16 array of the tensor's shape.
py::array decode_into(const py_activation& a, py::array out) {
  const bool f32 = out.dtype().equal(py::dtype::of<float>());
  if (!f32 && !out.dtype().equal(py::dtype("float16")))
    throw py::type_error("out must be float32 or float16 (native byte order), got " +
                         text_of(out.dtype()));
  if ((out.flags() & aligned_c_style) != aligned_c_style || !out.writeable())
    throw py::value_error("out must be a writeable, aligned, C-contiguous array");
  if (std::vector<py::ssize_t>(out.shape(), out.shape() + out.ndim()) != a.shape)
    throw py::value_error("out has the wrong shape (it must be the input's)");
  void* dst = out.mutable_data();
  py::gil_scoped_release nogil;
  if (f32)
    a.t.decode_to(static_cast<float*>(dst), a.t.cols());
  else
    a.t.decode_to(static_cast<std::uint16_t*>(dst), a.t.cols());
  return out;
}

py::array decode(const py_activation& a, const py::object& dtype, const py::object& out) {
  if (!out.is_none()) {
    if (!py::isinstance<py::array>(out))
      throw py::type_error("out must be a numpy array, got " + text_of(py::type::of(out)));
    if (!dtype.is_none() && !py::dtype::from_args(dtype).equal(out.attr("dtype")))
      throw py::type_error("dtype and out.dtype differ");
    return decode_into(a, py::reinterpret_borrow<py::array>(out));
  }
  const py::dtype d = dtype.is_none() ? py::dtype::of<float>() : py::dtype::from_args(dtype);
  if (!d.equal(py::dtype::of<float>()) && !d.equal(py::dtype("float16")))
    throw py::type_error("decode: dtype must be float32 or float16, got " + text_of(d));
  return decode_into(a, py::array(d, a.shape));
}

// A read-only numpy view of bytes owned by `owner` (kept alive through the array's base).
py::array readonly_view(const py::object& owner, const std::uint8_t* data,
                        std::vector<py::ssize_t> shape) {
  py::array a(py::dtype::of<std::uint8_t>(), std::move(shape), const_cast<std::uint8_t*>(data),
              owner);
  a.attr("setflags")(py::arg("write") = false);
  return a;
}

std::string tensor_repr(const py_activation& a) {
  std::string s = "ActivationTensor(shape=(";
  for (std::size_t i = 0; i < a.shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(a.shape[i]);
  if (a.shape.size() == 1) s += ",";
  const auto& f = a.t.fmt();
  return s + "), group=" + std::to_string(f.group()) +
         ", mantissa=" + std::to_string(f.mantissa()) + ", rounding='" +
         std::string(to_string(f.round())) + "', nonfinite='" +
         std::string(to_string(f.nonfinite_policy())) + "')";
}

constexpr long long max_group_size = 1LL << 62;

// A float32 numpy copy in C order (NumPy's default) of a column-major Eigen result.
py::array c_order_array(const Eigen::MatrixXf& m) {
  py::array_t<float> out({m.rows(), m.cols()});
  Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      out.mutable_data(), m.rows(), m.cols()) = m;
  return out;
}

int_weights quantize_weights(const py::handle& w, const std::string& kind,
                             const py::handle& group_size) {
  const auto Gw =
      std::size_t(int_arg("quantize_weights", "group_size", group_size, 1, max_group_size));
  const auto a = array_arg("quantize_weights", "w", w, {py::dtype::of<float>()}, float_hint);
  if (a.ndim() != 2)
    throw py::value_error("quantize_weights: w must be 2-D [N, K] (nn.Linear layout), got " +
                          std::to_string(a.ndim()) + " axes");
  const auto type = weight_type_arg(kind);
  using row_major = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const row_major> m(static_cast<const float*>(a.data()), a.shape(0), a.shape(1));
  py::gil_scoped_release nogil;
  return int_weights::quantize(m, type, Gw);
}

int_weights weights_from_quantized(const py::handle& q, const py::handle& scales,
                                   const py::object& zeros, const std::string& kind,
                                   const py::handle& group_size) {
  const char* fn = "IntWeights.from_quantized";
  const auto Gw = std::size_t(int_arg(fn, "group_size", group_size, 1, max_group_size));
  const auto type = weight_type_arg(kind);
  const auto qa = array_arg(fn, "q", q, {py::dtype::of<std::int8_t>()});
  const auto sa = array_arg(fn, "scales", scales, {py::dtype("float16")});
  if (qa.ndim() != 2 || sa.ndim() != 2)
    throw py::value_error(std::string(fn) +
                          ": q [N, K] and scales [N, ceil(K / group_size)] must be 2-D");
  if (sa.shape(0) != qa.shape(0))
    throw py::value_error(std::string(fn) + ": q has " + std::to_string(qa.shape(0)) +
                          " rows, scales " + std::to_string(sa.shape(0)));
  py::array za;
  if (!zeros.is_none()) {
    za = array_arg(fn, "zeros", zeros, {py::dtype::of<std::uint8_t>()});
    if (za.ndim() != 2 || za.shape(0) != sa.shape(0) || za.shape(1) != sa.shape(1))
      throw py::value_error(std::string(fn) + ": zeros must have the shape of scales");
  }
  const auto N = static_cast<std::size_t>(qa.shape(0)), K = static_cast<std::size_t>(qa.shape(1));
  return int_weights::from_quantized(
      type, N, K, Gw,
      {static_cast<const std::int8_t*>(qa.data()), static_cast<std::size_t>(qa.size())},
      {za ? static_cast<const std::uint8_t*>(za.data()) : nullptr,
       za ? static_cast<std::size_t>(za.size()) : 0},
      {static_cast<const std::uint16_t*>(sa.data()), static_cast<std::size_t>(sa.size())});
}

py::object gemm_arrays(const py_activation& x, const int_weights& w, const std::string& mode,
                       const py::handle& threads, bool with_stats) {
  gemm_stats stats;
  gemm_options opt{mode_arg(mode), int(int_arg("gemm", "threads", threads, 1, 1024)), nullptr,
                   &stats};
  if (x.shape.size() != 2)
    throw py::value_error("gemm: x must be an encoded 2-D array [T, K], got " +
                          std::to_string(x.shape.size()) + " axes");
  Eigen::MatrixXf y;
  {
    py::gil_scoped_release nogil;
    y = gemm(x.t, w, opt);
  }
  const py::array out = c_order_array(y);
  if (!with_stats) return out;
  py::dict s;
  s["fp16_overflows"] = stats.fp16_overflows;
  return py::make_tuple(out, s);
}

std::optional<hw::mantissa_tuple> tuple_arg(const py::object& modules) {
  if (modules.is_none()) return std::nullopt;
  if (py::isinstance<py::str>(modules) || !py::isinstance<py::sequence>(modules))
    throw py::type_error("whatif: modules must be a sequence of four integers, got " +
                         text_of(py::type::of(modules)));
  const auto seq = py::reinterpret_borrow<py::sequence>(modules);
  if (seq.size() != 4)
    throw py::value_error("whatif: modules wants four mantissa lengths [QKV, O, U, D], got " +
                          std::to_string(seq.size()));
  hw::mantissa_tuple t{};
  for (std::size_t i = 0; i < 4; ++i) t[i] = int_arg("whatif", "modules", seq[i]);
  return t;
}

py::object whatif(const std::optional<std::string>& model, const py::object& config,
                  const py::object& modules, const py::object& mantissa, const py::handle& group,
                  const py::handle& tokens, const std::string& phase, const std::string& dataset) {
  tools::whatif_request r;
  if (!config.is_none()) {
    if (model) throw py::value_error("whatif: give model or config, not both");
    r.config_path = py::module_::import("os").attr("fsdecode")(config).cast<std::string>();
  } else if (model) {
    r.model = *model;
  }
  r.modules = tuple_arg(modules);
  if (!mantissa.is_none()) r.mantissa = int_arg("whatif", "mantissa", mantissa);
  r.group = int_arg("whatif", "group", group);
  r.tokens = int_arg("whatif", "tokens", tokens, LLONG_MIN, LLONG_MAX);
  r.phase = phase;
  r.dataset = dataset;
  std::string text;
  try {
    text = tools::whatif_json(r).dump();
  } catch (const std::invalid_argument& e) {
    throw py::value_error(std::string("whatif: ") + e.what());
  }
  return py::module_::import("json").attr("loads")(text);
}

}  // namespace
}  // namespace anda::python

PYBIND11_MODULE(_core, m) {
  using namespace anda;
  using namespace anda::python;
  m.doc() =
      "The Anda activation format: exact encode/decode, bit-plane tensors, FP-INT GeMM, what-if.";

  // Never destroyed: their destructors would run after the interpreter has gone.
  static auto& base = *new py::exception<error>(m, "Error", PyExc_ValueError);
  static auto& nonfinite_exc = *new py::exception<nonfinite_error>(m, "NonFiniteError", base.ptr());
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const nonfinite_error& e) {
      py::object exc = py::handle(nonfinite_exc.ptr())(e.what());
      exc.attr("row") = e.row();
      exc.attr("group") = e.group();
      exc.attr("column") = e.column();
      PyErr_SetObject(nonfinite_exc.ptr(), exc.ptr());
    } catch (const error& e) {
      PyErr_SetString(base.ptr(), e.what());
    }
  });

  m.def(
      "quantize",
      [](const py::handle& x, const py::handle& group, const py::handle& mantissa,
         const std::string& round, const std::string& nonfinite_policy, const py::object& out) {
        const format fmt = format_arg("quantize", group, mantissa, round, nonfinite_policy);
        if (!out.is_none() &&
            (!py::isinstance<py::array>(out) || !py::dtype::of<float>().equal(out.attr("dtype"))))
          throw py::type_error("quantize: out must be a float32 numpy array");
        return decode(encode_array("quantize", x, fmt), py::none(), out);
      },
      py::arg("x"), py::kw_only(), py::arg("group") = 64, py::arg("mantissa"),
      py::arg("rounding") = "truncate", py::arg("nonfinite") = "reject",
      py::arg("out") = py::none(),
      R"doc(Fake-quantize: encode x to Anda(group, mantissa) and decode it to float32.

x: numpy float16 or float32 array, at least 1-D; groups of `group` values run along the last
axis (a short tail group is zero-padded). float32 is rounded to FP16 first (nearest even:
|x| in (65504, 65520) gives +-65504, from 65520 on +-Inf). The result has x's shape and equals, bit for bit, what
`anda quantize` writes for the same input.
group: 8, 16, 32, 64, 128 or 256. mantissa: 1..16 bits, hidden bit included.
rounding: "truncate" (the paper's), "nearest_even" or "nearest_away".
nonfinite: "reject" raises anda.NonFiniteError (a ValueError) for a group holding Inf or NaN;
"propagate" decodes such a group as NaN.
out: optional float32 C-contiguous array of x's shape to write into (x itself works, for an
in-place fake quantization); it is returned.)doc");

  py::class_<py_activation>(m, "ActivationTensor",
                            R"doc(An encoded Anda tensor in the bit-plane layout.

Rows are all axes but the last; each row is split into groups of `group` values along the last
axis. `planes` and `exponents` are read-only, zero-copy numpy views of the storage.)doc")
      .def_property_readonly(
          "shape", [](const py_activation& a) { return py::tuple(py::cast(a.shape)); },
          "Shape of the encoded array.")
      .def_property_readonly("group", [](const py_activation& a) { return a.t.fmt().group(); })
      .def_property_readonly("mantissa",
                             [](const py_activation& a) { return a.t.fmt().mantissa(); })
      .def_property_readonly(
          "rounding",
          [](const py_activation& a) { return std::string(to_string(a.t.fmt().round())); })
      .def_property_readonly("nonfinite",
                             [](const py_activation& a) {
                               return std::string(to_string(a.t.fmt().nonfinite_policy()));
                             })
      .def_property_readonly(
          "planes",
          [](const py::object& self) {
            const auto& a = self.cast<const py_activation&>();
            const auto& f = a.t.fmt();
            return readonly_view(self, a.t.planes().data(),
                                 {py::ssize_t(a.t.rows()), py::ssize_t(a.t.groups_per_row()),
                                  f.planes(), py::ssize_t(f.plane_bytes())});
          },
          R"doc(uint8 [rows, groups, 1 + mantissa, group / 8]: per group the sign plane, then the
mantissa planes from the most significant; element i of a group is bit i % 8 of byte i // 8.)doc")
      .def_property_readonly(
          "exponents",
          [](const py::object& self) {
            const auto& a = self.cast<const py_activation&>();
            return readonly_view(self, a.t.exponents().data(),
                                 {py::ssize_t(a.t.rows()), py::ssize_t(a.t.groups_per_row())});
          },
          "uint8 [rows, groups]: each group's shared exponent field (31: a non-finite group).")
      .def_property_readonly(
          "bits_per_element", [](const py_activation& a) { return a.t.bits_per_element(); },
          "1 + mantissa + 8 / group: the storage cost per (padded) element.")
      .def_property_readonly(
          "nbytes", [](const py_activation& a) { return a.t.storage_bytes(); },
          "Bytes held: planes plus exponents.")
      .def("decode", &decode, py::arg("dtype") = py::none(), py::kw_only(),
           py::arg("out") = py::none(),
           "The exact decoded values as a float32 (default) or float16 array of the original "
           "shape; or written into `out` (a C-contiguous float32/float16 array of that shape).")
      .def(
          "drop_planes",
          [](const py_activation& a, const py::handle& mantissa) {
            return py_activation{a.t.drop_planes(int_arg("drop_planes", "mantissa", mantissa)),
                                 a.shape};
          },
          py::arg("mantissa"),
          "The same tensor keeping only the `mantissa` most significant planes (mantissa <= M).")
      .def("__repr__", &tensor_repr);

  m.def(
      "encode",
      [](const py::handle& x, const py::handle& group, const py::handle& mantissa,
         const std::string& round, const std::string& nonfinite_policy) {
        const format fmt = format_arg("encode", group, mantissa, round, nonfinite_policy);
        return encode_array("encode", x, fmt);
      },
      py::arg("x"), py::kw_only(), py::arg("group") = 64, py::arg("mantissa"),
      py::arg("rounding") = "truncate", py::arg("nonfinite") = "reject",
      "Encode x (as for quantize) into an ActivationTensor.");

  py::class_<int_weights>(m, "IntWeights", R"doc(INT4/INT8 weights [N, K] with one FP16 scale per
(channel, group of group_size along K), held once in the blocked layout every GeMM kernel reads
(channels padded to 16, K to 256).)doc")
      .def_static("from_quantized", &weights_from_quantized, py::arg("q"), py::arg("scales"),
                  py::kw_only(), py::arg("zeros") = py::none(), py::arg("kind") = "int4",
                  py::arg("group_size") = 128,
                  R"doc(Ready-made integers: q int8 [N, K] in the kind's range (int4: -8..7,
int4-asym: 0..15, int8: -128..127), scales float16 [N, ceil(K / group_size)], zeros uint8 of the
scales' shape for int4-asym only. Every value is checked.)doc")
      .def_property_readonly("kind",
                             [](const int_weights& w) { return std::string(to_string(w.type())); })
      .def_property_readonly(
          "shape", [](const int_weights& w) { return py::make_tuple(w.rows(), w.cols()); })
      .def_property_readonly("group_size", &int_weights::scale_group)
      .def_property_readonly("bits_per_element", &int_weights::bits_per_element,
                             "4 (or 8) + 16 / group_size (+ 8 / group_size for zero points).")
      .def_property_readonly("nbytes", &int_weights::storage_bytes,
                             "Bytes held: the one blocked copy, on the shape padded to "
                             "16 x 256.")
      .def_property_readonly(
          "q",
          [](const int_weights& w) {
            py::array_t<std::int8_t> q({w.rows(), w.cols()});
            auto v = q.mutable_unchecked<2>();
            for (std::size_t n = 0; n < w.rows(); ++n)
              for (std::size_t k = 0; k < w.cols(); ++k) v(n, k) = std::int8_t(w.q(n, k));
            return q;
          },
          "int8 [N, K] (a copy: INT4 is stored two codes per byte).")
      .def_property_readonly(
          "scales",
          [](const int_weights& w) {
            py::array s(py::dtype("float16"), {w.rows(), w.scale_groups()});
            auto* p = static_cast<std::uint16_t*>(s.mutable_data());
            for (std::size_t n = 0; n < w.rows(); ++n)
              for (std::size_t g = 0; g < w.scale_groups(); ++g)
                p[n * w.scale_groups() + g] = w.scale(n, g).bits();
            return s;
          },
          "float16 [N, ceil(K / group_size)] (a copy).")
      .def_property_readonly(
          "zeros",
          [](const int_weights& w) -> py::object {
            if (w.type() != weight_type::int4_asym) return py::none();
            py::array_t<std::uint8_t> z({w.rows(), w.scale_groups()});
            auto v = z.mutable_unchecked<2>();
            for (std::size_t n = 0; n < w.rows(); ++n)
              for (std::size_t g = 0; g < w.scale_groups(); ++g)
                v(n, g) = std::uint8_t(w.zero(n, g));
            return z;
          },
          "uint8 zero points of int4-asym (a copy), else None.")
      .def(
          "dequantize", [](const int_weights& w) { return c_order_array(w.dequantize()); },
          "float32 [N, K]: (q - zero) * scale, exactly what the GeMM multiplies.")
      .def("__repr__", [](const int_weights& w) {
        return "IntWeights(kind='" + std::string(to_string(w.type())) + "', shape=(" +
               std::to_string(w.rows()) + ", " + std::to_string(w.cols()) +
               "), group_size=" + std::to_string(w.scale_group()) + ")";
      });

  m.def("quantize_weights", &quantize_weights, py::arg("w"), py::kw_only(),
        py::arg("kind") = "int4", py::arg("group_size") = 128,
        R"doc(Round-to-nearest weight quantization of float32 w [N, K] (nn.Linear layout).

kind: "int4" (symmetric, -7..7), "int4-asym" (0..15 with zero points) or "int8" (-127..127);
one FP16 scale per channel and group of group_size along K (group_size >= K: per channel).
Raises anda.Error for non-finite weights or a scale beyond FP16.)doc");

  m.def("gemm", &gemm_arrays, py::arg("x"), py::arg("w"), py::kw_only(), py::arg("mode") = "fp32",
        py::arg("threads") = 1, py::arg("stats") = false,
        R"doc(The exact FP-INT GeMM Y = X W^T: x an ActivationTensor [T, K], w IntWeights [N, K];
returns float32 [T, N] (C order), bit-identical to anda::gemm in C++ for any kernel and
thread count (threads: 1..1024, output channels split across them).

mode: "fp32" (each group's integer dot product rounded once to float32, then scaled) or
"paper" (rounded to FP16 as in the paper's datapath; an overflow gives +-Inf). w's group_size must
be a multiple of x's group, or at least K. stats=True returns (y, {"fp16_overflows": n}).)doc");

  m.def("whatif", &whatif, py::arg("model") = py::none(), py::kw_only(),
        py::arg("config") = py::none(), py::arg("modules") = py::none(),
        py::arg("mantissa") = py::none(), py::arg("group") = 64, py::arg("tokens") = 2048,
        py::arg("phase") = "prefill", py::arg("dataset") = "wikitext2",
        R"doc(The hwmodel what-if study: the dict that `anda whatif --json` prints, same options.

model: a preset name (default "llama2-7b"; see the README) or config: a HF config.json path.
modules: an Anda tuple [M_qkv, M_o, M_u, M_d], or mantissa: a uniform M; neither: the paper's
tuples for the model and a sweep of M = 4..13 ("anda_sweep"). group: activation group size;
tokens: prefill length (or the context of a decode step); phase: "prefill" or "decode";
dataset: "wikitext2" or "c4" (which paper tuples).)doc");

  m.def(
      "backends",
      [] {
        py::list out;
        for (const kernels::backend* b : kernels::backends()) {
          py::dict d;
          d["name"] = std::string(b->name);
          d["supported"] = b->supported();
          py::list needs;
          for (const auto f : b->needs) needs.append(std::string(to_string(f)));
          d["needs"] = needs;
          d["missing"] = b->missing();
          out.append(d);
        }
        return out;
      },
      R"doc(The kernel backends compiled into this build, most portable first: dicts with "name",
"supported" (whether this CPU runs it), "needs" (CPU features) and "missing" (those this CPU
lacks, space-separated).)doc");
  m.def(
      "backend", [] { return std::string(kernels::selected_backend().name); },
      R"doc(The backend in use: ANDA_ISA if set, else the best this CPU supports.)doc");
}
