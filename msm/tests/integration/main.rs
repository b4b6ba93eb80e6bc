//! Integration tests of zkbackup-msm: every config path against arkworks' `VariableBaseMSM`.

mod msm;
