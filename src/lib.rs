pub mod imagegen;
